"""labkit/course"""
