"""The web API: routing, auth, bodies, errors, result files (the app itself is app/web.py). Never
talks to Discord."""
