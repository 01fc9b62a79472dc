"""labkit/contract"""
