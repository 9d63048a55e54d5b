"""kap_notes.vault"""
