"""Demo data: a realistic day of citizens and agents, played through a running front door."""

from bot.demo.run import DemoConfig, Summary, demo_command, run_demo

__all__ = ["DemoConfig", "Summary", "demo_command", "run_demo"]
