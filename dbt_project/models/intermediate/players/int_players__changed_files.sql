-- The files whose current content changed since the last complete build (new, rewritten or
-- gone): the manifest compared with the one the last build applied. A full build takes every
-- file as new.
{{ config(materialized='table') }}

with manifest as (
    select
        source_file,
        batch_id
    from {{ ref('stg_players__files') }}
),

{% if players_full_build() %}
    final as (
        select
            source_file,
            batch_id,
            cast(null as string) as previous_batch_id
        from manifest
    )
{% else %}
    applied as (
        select
            key as source_file,
            value as batch_id
        from {{ players_applied_state() }}
        where kind = 'file'
    ),

    final as (
        -- the file first, as in the full-build branch
        select  -- noqa: ST06
            coalesce(manifest.source_file, applied.source_file) as source_file,
            manifest.batch_id,
            applied.batch_id as previous_batch_id
        from manifest
        full outer join applied on manifest.source_file = applied.source_file
        where manifest.batch_id is distinct from applied.batch_id
    )
{% endif %}

select * from final
