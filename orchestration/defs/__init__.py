"""One folder per domain; each module exposes its assets, checks, jobs, schedules and sensors."""
