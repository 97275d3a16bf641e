"""The outward face of the engine over HTTP: the FastAPI app (thin routes), auth, settings and
the planner web page. The command line lives in :mod:`chainlab.cli`.
"""
