"""Write ``docs/_static/demo.png`` (the README's picture) from the gallery's first example.

Run from the repository root: ``python docs/_static/make_demo_png.py`` (a few seconds).
"""

import runpy
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
plt.show = lambda *args, **kwargs: None  # keep the example's figures open
runpy.run_path(str(HERE.parent / "examples" / "plot_reconstruction.py"), run_name="__main__")
plt.gcf().savefig(HERE / "demo.png", dpi=80)
print(f"wrote {HERE / 'demo.png'}")
