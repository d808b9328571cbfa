"""``invoke verify``: the runner, results, report and the end-to-end walk.

``suites/`` holds only what pytest collects; the logic the suites call lives here.
"""
