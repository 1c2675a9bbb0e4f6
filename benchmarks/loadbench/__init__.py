"""The HTTP service load benchmark behind benchmarks/load.py (see its docstring for what one run does).

Modules, in the order a run uses them: shots (the set, held in memory), server (`snapdesk serve` in a
subprocess), client (one POST /chat and its record), levels (bare OCR capacity and the closed-loop levels
on server A), phases (caches, follow-ups and memory on server B), first_answer (a fresh server's first answer
after /readyz), runner (the whole run, in order), results (what a run measured) and the report_* modules
(the Markdown section).
"""
