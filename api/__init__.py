"""The outward face of the engine: the FastAPI app (thin routes), auth, settings, the planner web
page, and the command line (``api/cli.py``).
"""
