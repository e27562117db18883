{#- HubSpot deal property history in the canonical deal_changes shape
    (int_deal_changes' source branch). HubSpot keeps every value a property held,
    its initial value included; a change is an entry with a different value than
    the one before it, except the value set when the deal was created. -#}
with history as (
    select * from {{ ref('stg_hubspot__deal_property_history') }}
    where
        property in (
            'dealstage',
            'amount',
            'closedate',
            'hs_manual_forecast_category',
            'hs_next_step',
            'hubspot_owner_id'
        )
),

deals as (
    select * from {{ ref('stg_hubspot__deals') }}
),

stages as (
    select
        stage_id,
        any_value(stage_label) as stage_label
    from {{ ref('stg_hubspot__deal_stages') }}
    group by stage_id
),

user_owners as (
    select * from {{ ref('int_hubspot__owner_user_ids') }}
),

rates as (
    select * from {{ ref('int_hubspot__deal_conversion_rates') }}
),

sequenced as (
    select
        *,
        lag(value) over entries as previous_value,
        row_number() over entries as entry_number
    from history
    window entries as (partition by deal_id, property order by changed_at, history_id)
),

changes as (
    select sequenced.*
    from sequenced
    inner join deals
        on sequenced.deal_id = deals.deal_id
    where
        -- archived deals' history goes with them, as deleted records' does in Salesforce
        not coalesce(deals.is_archived, false)
        and sequenced.previous_value is distinct from sequenced.value
        and not (
            sequenced.entry_number = 1
            and sequenced.changed_at <= deals.created_at + interval 1 second
        )
),

final as (
    select
        changes.history_id as change_id,
        'hubspot' as source,
        changes.deal_id,
        case changes.property
            when 'dealstage' then 'stage'
            when 'amount' then 'amount'
            when 'closedate' then 'close_date'
            when 'hs_manual_forecast_category' then 'forecast_category'
            when 'hs_next_step' then 'next_step'
            when 'hubspot_owner_id' then 'owner'
        end as field,
        case changes.property
            when 'dealstage' then coalesce(old_stages.stage_label, changes.previous_value)
            -- history amounts are in the deal's own currency
            when 'amount' then {{ fixed_text(
                'try_cast(changes.previous_value as double) / rates.conversion_rate', 2
            ) }}
            when 'closedate' then
                cast({{ crm_date(hubspot_timestamp('changes.previous_value')) }} as string)
            when 'hs_manual_forecast_category' then
                {{ hubspot_forecast_category('changes.previous_value') }}
            else changes.previous_value
        end as old_value,
        case changes.property
            when 'dealstage' then coalesce(new_stages.stage_label, changes.value)
            -- history amounts are in the deal's own currency
            when 'amount' then {{ fixed_text(
                'try_cast(changes.value as double) / rates.conversion_rate', 2
            ) }}
            when 'closedate' then
                cast({{ crm_date(hubspot_timestamp('changes.value')) }} as string)
            when 'hs_manual_forecast_category' then
                {{ hubspot_forecast_category('changes.value') }}
            else changes.value
        end as new_value,
        coalesce(by_user.owner_id, by_source.owner_id) as changed_by,
        changes.changed_at
    from changes
    left join stages as old_stages
        on changes.property = 'dealstage' and changes.previous_value = old_stages.stage_id
    left join stages as new_stages
        on changes.property = 'dealstage' and changes.value = new_stages.stage_id
    left join rates
        on changes.deal_id = rates.deal_id
    left join user_owners as by_user
        on changes.updated_by_user_id = by_user.user_id
    -- integrations leave updatedByUserId empty but may name the user in sourceId
    left join user_owners as by_source
        on changes.source_id = 'userId:' || by_source.user_id
)

select * from final
