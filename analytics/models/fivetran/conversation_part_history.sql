-- Parts, with their conversation's `updated_at` (its current version). Without history mode,
-- the parts of a deleted conversation are left out with it.
{%- set columns = [
    ['id', 'id', 'string'],
    ['conversation_id', 'conversation_id', 'string'],
    ['part_type', 'part_type', 'string'],
    ['body', 'body', 'string'],
    ['author__id', 'author_id', 'string'],
    ['author__type', 'author_type', 'string'],
    ['assigned_to__id', 'assigned_to_id', 'string'],
    ['assigned_to__type', 'assigned_to_type', 'string'],
    ['created_at', 'created_at', 'timestamp'],
    ['updated_at', 'updated_at', 'timestamp'],
] %}
{%- set history = intercom_sync.fivetran_history_relation('conversation_parts_history') %}

with versions as (
    {{ intercom_sync.fivetran_versions('conversation_parts', columns, start='created_at') }}
),

conversations as (
    {{ intercom_sync.stage('conversations', [
        ['id', 'id', 'string'],
        ['updated_at', 'updated_at', 'timestamp'],
        ['_deleted_at', '_deleted_at', 'timestamp'],
    ]) }}
)

select
    {{ intercom_sync.fivetran_columns(columns, 'versions') }}
    {{ intercom_sync.fivetran_utc('conversations.updated_at') }} as conversation_updated_at,
    versions._fivetran_synced,
    versions._fivetran_active,
    versions._fivetran_start,
    versions._fivetran_end
from versions
{% if history is none -%}
inner join conversations
    on conversations.id = versions.conversation_id and conversations._deleted_at is null
{%- else -%}
left join conversations on conversations.id = versions.conversation_id
{%- endif %}
