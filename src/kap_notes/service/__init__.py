"""kap_notes.service"""
