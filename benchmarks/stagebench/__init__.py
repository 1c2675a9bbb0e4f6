"""The pipeline benchmark behind benchmarks/run.py (see its docstring for what one run does).

Modules, in the order a run uses them: items (the set's screenshots), pipeline (the main run: bare OCR
against `Assistant.generate`), sweep (OCR settings, accuracy and characters recovered), results (what a run
measured) and the report_* modules (BENCHMARKS.md up to load.py's section).
"""
