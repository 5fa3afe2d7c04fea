"""Jobs of the commerce domain."""

from orchestration.lib.domain import refresh_job

# Extract the shop DB and the pending view files, check both, dbt build, publish the snapshot.
commerce_refresh_job = refresh_job(
    "commerce",
    "Extract new/changed orders and new view files, rebuild the CTR mart, publish it.",
)
