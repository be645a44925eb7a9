"""What a sync loaded: status, the HTML report, the table reference, the dbt transform."""
