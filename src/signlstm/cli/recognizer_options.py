"""The recognizer's options (rule, threshold, stability, sentence, rest, rearm, onset, refractory), shared by live
and serve; the rules' settings also by judge streams."""
from ..recognizer import RULE_SETTINGS

SETTINGS = tuple(dict.fromkeys(name for rule in RULE_SETTINGS.values() for name in rule))  # each read by some rules


def add_rule(p):
    from ..recognizer import RULE, RULES, SENTENCE

    p.add_argument("--rule", choices=RULES,
                   help=f"word rule (default: the model's; {RULE} for a model that names no rule): 'tutorial' is the "
                        "tutorial's (no word twice in a row); 'stream' gives one word per sign made, the same word "
                        "again after a rest or another sign; 'spot' is for a spotting model (without --model: the "
                        "shipped one)")
    p.add_argument("--sentence", type=int, default=SENTENCE, help=f"words kept in the sentence (default {SENTENCE})")
    add_settings(p)


def add_settings(p):
    """The rules' settings (:data:`SETTINGS`), each None unless given: the rule's default."""
    def default(key):
        return ", ".join(f"{r} {s[key]}" for r, s in RULE_SETTINGS.items() if key in s)

    p.add_argument("--threshold", type=float, help=f"least probability for a word (default: {default('threshold')})")
    p.add_argument("--stability", type=int,
                   help=f"the last N predictions must agree (default: {default('stability')})")
    p.add_argument("--rest", type=int,
                   help=f"stream rule: frames without a hand that end a sign (default {default('rest')})")
    p.add_argument("--rearm", type=int,
                   help=f"stream rule: rejected windows in a row that end a sign (default {default('rearm')})")
    p.add_argument("--onset", type=float,
                   help=f"spot rule: least sign probability inside a sign (default {default('onset')})")
    p.add_argument("--refractory", type=int,
                   help=f"spot rule: windows after a word in which a new sign says nothing "
                        f"(default {default('refractory')})")


def check_rule(args):
    """One clear error for settings out of range."""
    from ..recognizer import RANGES, check_settings

    check_settings("--", **{name: getattr(args, name, None) for name in RANGES})


def unread(args, rule: str) -> list[str]:
    """The settings given in ``args`` that ``rule`` does not read."""
    return [name for name in SETTINGS if getattr(args, name) is not None and name not in RULE_SETTINGS[rule]]


def settings_of(args, rule: str) -> dict:
    """The keyword arguments of the recognizer for ``rule``: its defaults, with the settings given in ``args`` that
    it reads."""
    from ..recognizer import rule_settings

    skipped = unread(args, rule)
    given = {name: getattr(args, name) for name in SETTINGS if name not in skipped}
    return {**rule_settings(rule), **{name: value for name, value in given.items() if value is not None}}


def rule_notes(args, bundle) -> None:
    """Notes, once every setting is accepted: a setting the rule (asked for, else the model's own) does not read, and
    a rule asked for that is made for another recipe's models than ``bundle``'s (the spot rule on the default model
    names few words: it reads a spotting model's probabilities)."""
    import sys

    from ..models.recipes import for_rule
    from ..recognizer import bundle_rule

    rule = args.rule or bundle_rule(bundle)
    if rule not in RULE_SETTINGS:  # a model naming a rule signlstm does not know: the recognizer refuses it
        return
    if names := unread(args, rule):
        whose = "" if args.rule else " (the model's)"
        print(f"note: the {rule} rule{whose} does not read {', '.join('--' + n for n in names)}", file=sys.stderr)
    if args.rule and for_rule(args.rule) != for_rule(bundle_rule(bundle)):
        print(f"note: the {args.rule} rule is made for models of the {for_rule(args.rule)} recipe; {bundle.path} is "
              f"made for the {bundle_rule(bundle)} rule", file=sys.stderr)


