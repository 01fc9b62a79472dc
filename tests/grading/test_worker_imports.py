"""The grader's processes read notebooks without jsonschema's IRI grammar (about a second of CPU per grading
process at import): notebooks are still validated, and a broken one is still refused."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
import labkit.grading.worker
import nbformat
from nbformat.v4 import new_notebook
nb = new_notebook()
nbformat.validate(nb)
nb["cells"] = [{"cell_type": "code", "source": 1}]
try:
    nbformat.validate(nb)
    print("accepted a broken notebook")
except nbformat.ValidationError:
    print("refused a broken notebook")
print(sys.modules.get("rfc3987_syntax", "never imported"))
"""


def test_a_grading_process_validates_notebooks_without_the_iri_grammar():
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["refused a broken notebook", "None"]
