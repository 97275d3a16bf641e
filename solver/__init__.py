"""Optimization: production-distribution planning, network design (facility location), and later
routing and scheduling; solver backends (OR-Tools, PuLP) behind one small interface; typed results.
"""
