"""Rewrite the generated endpoint table in README.md from the catalogs."""

from pathlib import Path

from airflow_provider_lms.endpoint_table import render

readme = Path(__file__).resolve().parent.parent / "README.md"
text = readme.read_text()
start, end = "<!-- endpoints:start -->", "<!-- endpoints:end -->"
head, rest = text.split(start, 1)
_, tail = rest.split(end, 1)
readme.write_text(f"{head}{start}\n{render()}\n{end}{tail}")
print("README endpoint table updated")
