"""kap_notes.forms"""
