"""Trigger scenarios: hand-written event timelines and the sends they must produce.

One module per trigger (or per guardrail) defines `SCENARIOS: list[Scenario]`; the harness
(tests/scenarios/harness.py) writes every scenario into one DuckDB warehouse and
tests/test_trigger_scenarios.py builds `+triggered_sends` once per as_of instant and checks
every expectation. Adding a module here is all it takes for its scenarios to run.
"""
