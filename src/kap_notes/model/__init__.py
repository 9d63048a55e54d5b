"""kap_notes.model"""
