"""signlstm serve: the browser front end (camera page, live words, recording and adapting) on a small web server."""
from pathlib import Path

from . import common, recognizer_options


def register(sub):
    from ..web.engine import DATA, IDLE, MAX_CLIENTS, MODELS, WORKERS

    p = sub.add_parser("serve", help="serve the camera web page: sign in a browser, see the words")
    common.add_front_model(p)
    common.add_h5_actions(p)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for the local network, "
                        "where browsers allow the camera only over https: add --certfile/--keyfile)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    recognizer_options.add_rule(p)
    p.add_argument("--workers", type=int, default=WORKERS,
                   help=f"camera frames landmarked at once for pages that send frames (default {WORKERS}; about one "
                        "per core)")
    p.add_argument("--max-clients", type=int, default=MAX_CLIENTS,
                   help=f"pages open at once (default {MAX_CLIENTS}); more are turned away, unless a page has sent "
                        f"nothing for {IDLE} s: it gives its place to the new one")
    p.add_argument("--holistic", metavar="DIR",
                   help="folder of the npm package @mediapipe/holistic the page loads (default: node_modules in "
                        "the checkout signlstm runs from, else in the current folder: `npm ci` or make install "
                        "puts it there); without it pages send camera frames")
    p.add_argument("--data", default=DATA,
                   help=f"where recordings from the page go: DATA/<name>/<action>/<n>/ (default {DATA})")
    p.add_argument("--models", default=MODELS, help=f"where adapted models go (default {MODELS})")
    p.add_argument("--certfile", help="TLS certificate (PEM) to serve https")
    p.add_argument("--keyfile", help="TLS private key (PEM) for --certfile")
    p.set_defaults(run=run)


def run(args):
    from ..errors import SignlstmError, missing_extra

    try:
        import uvicorn  # noqa: F401  (web.server imports it only once it serves: after the model is loaded)

        from ..web.engine import Engine
        from ..web.server import serve
    except ImportError as e:
        raise missing_extra("serve", e.name, "web") from None
    if not 1 <= args.port <= 65535:
        raise SignlstmError(f"--port must be within 1..65535, got {args.port}")
    if bool(args.certfile) != bool(args.keyfile):
        raise SignlstmError("--certfile and --keyfile go together")
    from ..web import holistic_assets
    from ..web.holistic_assets import holistic_dir, holistic_missing
    from ..web.origin import is_loopback
    from ..web.server import check_listen, check_tls

    if args.holistic and holistic_dir(args.holistic) is None:
        raise SignlstmError(f"{args.holistic}: no holistic.js there (the folder of the npm package @mediapipe/holistic)")
    if args.holistic and (missing := holistic_missing(Path(args.holistic))):
        raise SignlstmError(f"{args.holistic}: the npm package @mediapipe/holistic there lacks {', '.join(missing)} "
                            "(a copy cut short: copy the whole folder, or npm ci)")
    recognizer_options.check_rule(args)
    if args.certfile:
        check_tls(args.certfile, args.keyfile)  # before the model loads (seconds), not as uvicorn's traceback after
    check_listen(args.host, args.port)  # before "serving ... on" is printed
    from ..outputs import check_writable_folder

    for folder in (args.data, args.models):  # before the model loads (the engine checks them again)
        check_writable_folder(folder)
    bundle = common.open_model(args, front=True)
    recognizer_options.rule_notes(args, bundle)
    from ..models.keras_files import use_compilation_cache

    use_compilation_cache()  # the page's adapt and the recognizer compile once, for this run and the next
    engine = Engine(bundle, args.threshold, args.stability, args.sentence, workers=args.workers,
                    max_clients=args.max_clients, data=args.data, models=args.models, rule=args.rule,
                    rest=args.rest, rearm=args.rearm, onset=args.onset, refractory=args.refractory)
    scheme = "https" if args.certfile else "http"
    shown = "localhost" if args.host in ("127.0.0.1", "localhost") else \
        f"[{args.host}]" if ":" in args.host else args.host  # an IPv6 address is bracketed in a URL
    everywhere = args.host in ("0.0.0.0", "::")
    if everywhere:
        shown = "localhost"
    print(f"serving {bundle.path} ({', '.join(bundle.labels)}) on {scheme}://{shown}:{args.port}/"
          + (" and this machine's other addresses" if everywhere else "") + "  (Ctrl+C stops)", flush=True)
    if not is_loopback(args.host) and not args.certfile:  # (a loopback page is a secure context: the camera works)
        common.print_note("note: browsers give a page the camera only over https or on localhost: other machines "
                          "reaching this page over http get no camera (add --certfile and --keyfile)")
    page_holistic = holistic_dir(args.holistic)
    if page_holistic is not None and not args.holistic and page_holistic != holistic_assets.HOLISTIC:
        common.print_note(f"note: the pages find their landmarks with @mediapipe/holistic "
                          f"{holistic_assets.holistic_version(page_holistic)} from {page_holistic.absolute()} (the current "
                          "folder's node_modules)")
    if page_holistic is not None and (missing := holistic_missing(page_holistic)):
        common.print_note(f"note: {page_holistic.absolute()} lacks {', '.join(missing)} of @mediapipe/holistic (npm ci "
                          "puts them back): pages whose browser needs them cannot find their landmarks themselves")
    if page_holistic is None:
        common.print_note("note: no @mediapipe/holistic to give the pages (make install or npm ci in the checkout, and "
                          "serve from there; or --holistic DIR): pages will ask their visitors to send their camera "
                          "images here to find the landmarks")
    serve(engine, args.host, args.port, args.certfile, args.keyfile, holistic=args.holistic)
