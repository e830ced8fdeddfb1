"""import_keras: Keras imported without the packages it imports only for features signlstm does not use, those
packages still importable afterwards, and the shipped model's probabilities on real recordings the same as with
Keras imported whole."""
import json
import subprocess
import sys

import numpy as np

import signlstm

SCRIPT = """
import json, sys
import numpy as np
import signlstm
{first}
from signlstm.models.bundle import load_bundle
with np.load(sys.argv[1]) as z:
    X = z["X"][:8].astype(np.float32)
p = load_bundle().predict(X)
extras = sorted(m for m in signlstm.KERAS_EXTRAS if m in sys.modules)
from sklearn.linear_model import LogisticRegression  # the judges' scikit-learn imports as usual afterwards
LogisticRegression().fit(X[:, 0, :10], np.arange(8) % 2)
print(json.dumps({{"extras": extras, "p": p.tolist()}}))
"""


def _run(data, first: str) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(first=first), str(data)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_keras_imports_without_its_extras_and_the_shipped_model_answers_the_same(shared):
    data = shared("data", "signers", "s02.npz")
    lean = _run(data, "")  # signlstm.models imports Keras first
    whole = _run(data, "import keras")  # Keras imported before signlstm.models: with everything it imports
    assert lean["extras"] == []
    assert "sklearn" in whole["extras"] and set(whole["extras"]) <= set(signlstm.KERAS_EXTRAS)
    assert np.asarray(lean["p"]).shape == (8, 4)
    np.testing.assert_allclose(lean["p"], whole["p"], rtol=0, atol=1e-6)
