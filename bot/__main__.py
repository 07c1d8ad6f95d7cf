"""Command line: `python -m bot serve | run | train | chat`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from bot.settings import SettingsError, describe_defaults, load_settings

DEFAULT_CONTENT = "content/answers.yml"


def serve() -> int:
    """Run the gateway alone (the launcher runs it this way too)."""
    import asyncio

    import uvloop
    from aiohttp import web

    from bot.app import create_app
    from bot.logs import AccessLog, setup_logging

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    # After the settings: they say the format (LOG_FORMAT, JSON in production) and the secrets to redact.
    setup_logging(settings)
    for line in describe_defaults(settings):
        logging.getLogger("bot.settings").warning(line)
    # libuv's event loop: the same asyncio code with less CPU per push (make bench measures it).
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web.run_app(
        create_app(settings),
        host=settings.bot_host,
        port=settings.bot_port,
        print=None,
        reuse_port=settings.reuse_port or None,
        access_log_class=AccessLog,
    )
    return 0


def run() -> int:
    """Bring the whole system up: train if needed, Redis, actions, Rasa, gateway."""
    import json
    import time

    from bot.agents_cli import DEMO_AGENT, ensure_demo_agent
    from bot.launcher import Launcher, Ports, StageTimes, train

    def port(name: str, default: int) -> int:
        return int(os.environ.get(name) or default)

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C and `kill` both stop every child cleanly, even when started from a script that ignores SIGINT.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    times = StageTimes(environments=StageTimes.since_make_started(os.environ, time.time()))
    clock = time.monotonic()
    times.trained = train()
    times.training = time.monotonic() - clock
    launcher = Launcher(
        ports=Ports(
            gateway=port("BOT_PORT", 8080),
            rasa=port("RASA_PORT", 5005),
            actions=port("ACTIONS_PORT", 5055),
            redis=port("EMBEDDED_REDIS_PORT", 6380),
        )
    )
    print("starting the 12315 front door (Rasa takes about half a minute to load) ...")
    try:
        clock = time.monotonic()
        launcher.start()
        demo_password = asyncio.run(
            ensure_demo_agent(launcher.redis_url, os.environ.get("CONSOLE_DEMO_PASSWORD"))
        )
        times.start = time.monotonic() - clock
        (launcher.var_dir / "run-timings.json").write_text(json.dumps(times.record(), indent=2) + "\n")
        simulator = (  # served in development only (bot/dev/simulator_page.py)
            f"  WeChat simulator {launcher.gateway_url}/simulator   (play a citizen in the browser)\n"
            if launcher.env.get("BOT_ENV", "development") == "development"
            else ""
        )
        print(
            f"\nstage timings: {times.summary()}\n"
            f"\nready:\n"
            f"  WeChat callback  {launcher.gateway_url}/wechat\n"
            f"  agent console    {launcher.gateway_url}/console   (工号 {DEMO_AGENT}, 密码 {demo_password})\n"
            f"{simulator}"
            f"  health           {launcher.gateway_url}/healthz\n"
            f"  Rasa             {launcher.rasa_url}\n"
            f"talk to the bot:   make chat     (in another terminal)\n"
            f"stop:              Ctrl-C\n"
        )
        launcher.wait()
    except KeyboardInterrupt:
        print("\nstopping ...")
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        launcher.stop()
    print("stopped.")
    return 0


def chat(url: str) -> int:
    from bot.chat import chat_loop

    try:
        settings = load_settings(os.environ | {"BOT_ENV": os.environ.get("BOT_ENV", "development")})
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(chat_loop(url, settings.wechat_token, settings.wechat_api_base))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="12315 WeChat front door")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the gateway")
    commands.add_parser("run", help="run the whole system (make run)")
    train_parser = commands.add_parser("train", help="train the Rasa model if it is missing or stale")
    train_parser.add_argument(
        "--force", action="store_true", help="train from scratch, without Rasa's cache (a true training time)"
    )
    menu_parser = commands.add_parser("menu", help="check or push content/menu.yml")
    menu_parser.add_argument("action", choices=["check", "push"])
    content_parser = commands.add_parser(
        "content", help="published content: import a file, export or list what is live, history, rollback"
    )
    content_parser.add_argument("action", choices=["import", "load", "export", "list", "history", "rollback"])
    content_parser.add_argument(
        "argument", nargs="?", help="import: the file (default content/answers.yml); rollback: the change id"
    )
    agents_parser = commands.add_parser("agents", help="add, list or disable console accounts")
    agents_parser.add_argument("action", choices=["add", "list", "disable"])
    agents_parser.add_argument("agent_id", nargs="?", help="工号, e.g. 5002")
    agents_parser.add_argument("--name", help="the agent's name")
    agents_parser.add_argument("--role", choices=["agent", "maintainer", "supervisor"], default="agent")
    model_parser = commands.add_parser("model", help="restore: serve the previous model again")
    model_parser.add_argument("action", choices=["restore"])
    report_parser = commands.add_parser("report", help="the daily complaint hot-spot report (每日投诉热点)")
    report_parser.add_argument("--date", help="YYYY-MM-DD, the centre's local day (default: yesterday)")
    report_parser.add_argument("--out", default="reports", help="the report goes to OUT/YYYY-MM-DD/")
    demo_parser = commands.add_parser(
        "demo-data", help="fill a running system with a realistic day (through the gateway and the API)"
    )
    demo_parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('BOT_PORT') or 8080}")
    demo_parser.add_argument("--citizens", type=int, default=150, help="how many citizens write in")
    demo_parser.add_argument("--seed", type=int, default=2026, help="the same seed gives the same day")
    chat_parser = commands.add_parser("chat", help="talk to the bot as a WeChat citizen")
    chat_parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('BOT_PORT') or 8080}/wechat")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve()
    if args.command == "run":
        return run()
    if args.command == "train":
        from bot.launcher import train

        train(force=args.force)
        return 0
    if args.command == "menu":
        from bot.menu_cli import menu_command

        try:
            settings = load_settings()
        except SettingsError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return 2
        return menu_command(args.action, settings)
    if args.command == "content":
        from bot.content_cli import content_command

        return content_command(
            args.action, args.argument, Path(os.environ.get("CONTENT_PATH") or DEFAULT_CONTENT)
        )
    if args.command == "agents":
        from bot.agents_cli import agents_command

        return agents_command(args.action, args.agent_id, args.name, args.role)
    if args.command == "model":
        from bot.model_cli import model_command

        return model_command(args.action)
    if args.command == "report":
        from bot.report.cli import report_command

        return report_command(args.date, args.out)
    if args.command == "demo-data":
        from bot.demo import demo_command

        return demo_command(args.url, args.citizens, args.seed)
    return chat(args.url)


if __name__ == "__main__":
    raise SystemExit(main())
