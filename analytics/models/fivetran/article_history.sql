-- An article's collection: `parent_id` where the API sends it (2.9), else its `parent_ids`
-- list (2.10+; one id per article in practice). Intercom's `statistics.conversions` is "the
-- number of conversations started from the article": Fivetran's `statistics_conversations`.
{%- set columns = [
    ['id', 'id', 'string'],
    ['workspace_id', 'workspace_id', 'string'],
    ['author_id', 'author_id', 'string'],
    ['parent_id', 'parent_id', 'string'],
    ['parent_type', 'parent_type', 'string'],
    ['title', 'title', 'string'],
    ['description', 'description', 'string'],
    ['body', 'body', 'string'],
    ['url', 'url', 'string'],
    ['type', 'type', 'string'],
    ['state', 'state', 'string'],
    ['default_locale', 'default_locale', 'string'],
    ['statistics__type', 'statistics_type', 'string'],
    ['statistics__views', 'statistics_views', 'bigint'],
    ['statistics__conversions', 'statistics_conversations', 'bigint'],
    ['statistics__reactions', 'statistics_reactions', 'bigint'],
    ['statistics__happy_reaction_percentage', 'statistics_happy_reaction_percentage', 'float'],
    ['statistics__neutral_reaction_percentage', 'statistics_neutral_reaction_percentage', 'float'],
    ['statistics__sad_reaction_percentage', 'statistics_sad_reaction_percentage', 'float'],
    ['created_at', 'created_at', 'timestamp'],
    ['updated_at', 'updated_at', 'timestamp'],
] %}

with versions as (
    {{ intercom_sync.fivetran_versions('articles', columns) }}
),

parents as (
    select article_id, min(parent_id) as parent_id
    from ({{ intercom_sync.stage('articles__parent_ids', [
        ['article_id', 'article_id', 'string'],
        ['parent_id', 'parent_id', 'string'],
    ]) }}) as listed
    group by article_id
)

select
    {{ intercom_sync.fivetran_columns(columns, 'versions') }}
    coalesce(versions.parent_id, parents.parent_id) as collection_id,
    cast(null as {{ dbt.type_string() }}) as section_id,
    versions._fivetran_synced,
    versions._fivetran_active,
    versions._fivetran_start,
    versions._fivetran_end
from versions
left join parents on parents.article_id = versions.id
