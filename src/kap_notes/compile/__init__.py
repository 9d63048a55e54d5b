"""kap_notes.compile"""
