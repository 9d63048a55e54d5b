"""Template commands: list, show, validate a clinic's folder."""

from __future__ import annotations

import argparse
import json
import sys

from kap_notes.cli.context import Context

# kap_notes.forms (yaml, the template schema) loads inside the commands, so that the command
# line starts quickly.


def cmd_template_list(ctx: Context) -> int:
    from kap_notes.forms import default_registry  # noqa: PLC0415

    rows = [
        {"name": d.name, "kind": d.kind, "version": d.version, "url": d.url, "title": d.title}
        for d in default_registry().latest()
    ]
    ctx.emit(
        rows,
        "\n".join(f"{r['name']:18} {r['kind']:11} {r['version']:8} {r['title']}" for r in rows),
    )
    return 0


def cmd_template_show(ctx: Context) -> int:
    from kap_notes.forms import get_template  # noqa: PLC0415

    definition = get_template(ctx.args.name, ctx.args.version)
    items = [
        {
            "linkId": item.link_id,
            "text": item.label,
            "type": item.type,
            "required": item.required,
            "group": group.link_id if group else None,
        }
        for item, group in definition.walk()
    ]
    data = {
        "name": definition.name,
        "url": definition.url,
        "version": definition.version,
        "title": definition.title,
        "items": items,
    }
    human = [f"{definition.title} ({definition.url} v{definition.version})"]
    human += [f"  {i['linkId']:28} {i['type']:13} {i['text']}" for i in items]
    ctx.emit(data, "\n".join(human))
    return 0


def cmd_template_validate(ctx: Context) -> int:
    from kap_notes.forms import TemplateError, load_templates  # noqa: PLC0415

    try:
        registry = load_templates([ctx.args.dir])
    except TemplateError as exc:
        problems = str(exc).splitlines()
        ctx.emit({"ok": False, "problems": problems}, str(exc))
        sys.stderr.write(f"kap-notes: templates in {ctx.args.dir} are not valid (listed above)\n")
        return 1
    names = sorted(f"{d.name} {d.version}" for d in registry)
    ctx.emit(
        {"ok": True, "templates": names},
        json.dumps(names)
        if ctx.args.json
        else f"OK: {len(names)} templates valid ({', '.join(names)})",
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the template commands to the top-level parser."""
    tpl = sub.add_parser("template", help="form and instrument templates")
    actions = tpl.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="templates in use").set_defaults(func=cmd_template_list)
    p = actions.add_parser("show", help="a template's items")
    p.add_argument("name")
    p.add_argument("--version")
    p.set_defaults(func=cmd_template_show)
    p = actions.add_parser(
        "validate", help="validate a folder of templates (with the shipped ones)"
    )
    p.add_argument("dir")
    p.set_defaults(func=cmd_template_validate)
