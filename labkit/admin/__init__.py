"""labkit/admin"""
