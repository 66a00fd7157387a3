# Runs at boot. Everything lives in app.py so that a crash there leaves the REPL usable.
import app

app.run()
