"""What-if scenarios: YAML files, overrides applied to a network copy, running many scenarios
(local processes or a Dask cluster), storing and comparing results. ``scenarios/examples/`` holds
the bundled example data.
"""

from pathlib import Path

#: folder of the bundled example networks
EXAMPLES = Path(__file__).resolve().parent / "examples"
