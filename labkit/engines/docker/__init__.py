"""labkit/engines/docker"""
