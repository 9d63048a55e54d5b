"""kap_notes.server"""
