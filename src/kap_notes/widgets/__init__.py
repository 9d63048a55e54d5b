"""kap_notes.widgets"""
