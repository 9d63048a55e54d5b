"""kap_notes.export"""
