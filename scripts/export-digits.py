# scikit-learn's bundled 8x8 digits (1797 rows) -> data/digits.parquet: columns pixel_0_0 .. pixel_7_7 and target (docs/real-data.md).
# Needs scikit-learn, pandas and pyarrow (pip install scikit-learn pandas pyarrow). Run from the repository root.
from pathlib import Path; from sklearn.datasets import load_digits
Path("data").mkdir(exist_ok=True)
load_digits(as_frame=True).frame.to_parquet("data/digits.parquet", index=False)
