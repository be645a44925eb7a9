{#- Cross-database helpers for the metric definitions (DuckDB and Postgres share the syntax). -#}

{% macro epoch_seconds(ts) -%}
  {{ return(adapter.dispatch('epoch_seconds', 'intercom_sync')(ts)) }}
{%- endmacro %}

{% macro default__epoch_seconds(ts) -%}
  cast(extract(epoch from {{ ts }}) as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro minutes_between(start_ts, end_ts) -%}
  {#- wall-clock minutes (no business hours), fractional: seconds / 60 -#}
  cast(({{ intercom_sync.epoch_seconds(end_ts) }} - {{ intercom_sync.epoch_seconds(start_ts) }}) / 60.0
       as {{ intercom_sync.type_double() }})
{%- endmacro %}

{% macro median(expression) -%}
  {{ return(adapter.dispatch('median', 'intercom_sync')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
  cast(percentile_cont(0.5) within group (order by {{ expression }}) as {{ intercom_sync.type_double() }})
{%- endmacro %}

{% macro average(expression) -%}
  cast(avg(cast({{ expression }} as {{ intercom_sync.type_double() }})) as {{ intercom_sync.type_double() }})
{%- endmacro %}

{% macro utc_date(ts) -%}
  {{ return(adapter.dispatch('utc_date', 'intercom_sync')(ts)) }}
{%- endmacro %}

{% macro default__utc_date(ts) -%}
  cast(({{ ts }} at time zone 'UTC') as date)
{%- endmacro %}

{% macro sorted_list(expression) -%}
  {#- a deterministic ', '-joined list (sorted by the value itself) -#}
  {{ dbt.listagg(expression, "', '", "order by " ~ expression) }}
{%- endmacro %}

{% macro in_list(values) -%}
  ({% for v in values %}'{{ v }}'{{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro day_spine(first_day, last_day) -%}
  {{ return(adapter.dispatch('day_spine', 'intercom_sync')(first_day, last_day)) }}
{%- endmacro %}

{% macro default__day_spine(first_day, last_day) -%}
  {#- one row per date from first_day to last_day (both date-typed column expressions of a
      one-row relation named `bounds`) -#}
  select cast(g.day_start as date) as date_day
  from bounds
  cross join lateral generate_series(
    cast({{ first_day }} as timestamp), cast({{ last_day }} as timestamp), interval '1 day'
  ) as g(day_start)
{%- endmacro %}

{% macro total(expression) -%}
  {#- sum as a plain bigint (DuckDB widens integer sums to int128, Postgres to numeric) -#}
  cast(sum({{ expression }}) as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro type_double() -%}
  {#- intercom_sync.type_double() is a 4-byte REAL on DuckDB; metrics need doubles everywhere -#}
  double precision
{%- endmacro %}
