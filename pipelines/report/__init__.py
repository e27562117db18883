"""The trust report: static, self-contained HTML pages read from the published warehouse.

One organisation page (the CEO's) and one page per Sales Director, each with its
charts rendered to inline SVG at build time, so the files open from disk with no
network. `build.build_report` writes them; `data` holds every query (the figures
are the marts' and the history's), `charts` the Vega-Lite charts, `pages` the HTML.
"""
