"""The daily complaint hot-spot report (每日投诉热点) for the centre's leadership.

`collect` reads one local day's turns and tickets (and the 7 days before) from Redis; `build` turns them into
a frozen `DailyReport` without any I/O; `render` writes it as Markdown, CSV and PNG charts; `cli` is
`python -m bot report`, and the console's supervisor page (`bot/console/report.py`) shows the same report.
"""
