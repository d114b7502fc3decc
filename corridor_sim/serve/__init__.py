"""`corridor-sim serve`: a local page where a planner changes parameters and sees the days move, with CIs.

Needs the `ui` extra (Dash); nothing here imports it until the page is served, so the base install never does.
"""
