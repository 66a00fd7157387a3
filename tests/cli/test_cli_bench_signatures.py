"""Every benchmark module can be called by ``twitchwatch bench NAME``: main(argv) -> int."""

import importlib
import inspect
import pkgutil

import twitchwatch.bench as bench


def test_every_bench_main_takes_argv():
    names = [m.name for m in pkgutil.iter_modules(bench.__path__)]
    mains = {}
    for name in names:
        module = importlib.import_module(f"twitchwatch.bench.{name}")
        if hasattr(module, "main"):
            mains[name] = module.main
    assert {"accuracy", "speed", "link_speed", "io_speed", "report_speed", "app_cpu"} <= set(mains)
    for name, fn in mains.items():
        params = list(inspect.signature(fn).parameters.values())
        assert params and params[0].default is None, f"bench {name}: main must accept argv=None"
