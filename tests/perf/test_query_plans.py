"""Query plans on large tables: the hot queries use indexes, so their cost does not grow with the
event log, the read model or the catalogue.

Each test fills a table with 200,000 rows in one ``INSERT ... SELECT generate_series``, runs
ANALYZE, captures the SQL the code really executes (the worker's claim, GET /api/mypage/, the
filtered product list) and walks the tree of ``EXPLAIN (FORMAT JSON)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from market import bus

ROWS = 200_000

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db]


def plan_nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def explain(sql: str, *, analyze: bool = False) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({'ANALYZE, ' if analyze else ''}FORMAT JSON) " + sql)
        raw = cursor.fetchone()[0]
    document = json.loads(raw) if isinstance(raw, str) else raw
    return list(plan_nodes(document[0]["Plan"]))


def seq_scans(nodes: list[dict], table: str) -> list[dict]:
    return [n for n in nodes if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == table]


def indexes_used(nodes: list[dict]) -> set[str]:
    return {n["Index Name"] for n in nodes if "Index Name" in n}


def executed(queries: CaptureQueriesContext, table: str) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if table in q["sql"] and q["sql"].lstrip().startswith("SELECT")]


def analyze(*tables: str) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


# --- the event log and its deliveries -------------------------------------------------------------


@pytest.fixture
def big_event_log(db):
    """200,000 events with one delivery each: all done but one in a thousand still pending (what
    a healthy bus looks like after a while), spread over 5,000 aggregates and two subscribers."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO market_eventrecord (event_id, type, version, aggregate_type, aggregate_id, occurred_at, payload)
            SELECT md5('bench-event-' || g)::uuid, 'ProductReserved', 1, 'product', (g %% 5000)::text,
                   now() - make_interval(secs => %s - g), '{}'::jsonb
            FROM generate_series(1, %s) AS g
            """,
            [ROWS, ROWS],
        )
        cursor.execute(
            """
            INSERT INTO market_delivery (event_id, subscriber, aggregate_key, status, attempts, available_at,
                                         leased_until, lease_owner, last_error, created_at, completed_at)
            SELECT e.id,
                   CASE WHEN e.id %% 2 = 0 THEN 'mypage.project' ELSE 'notice.notify' END,
                   'product:' || e.aggregate_id,
                   CASE WHEN e.id %% 1000 = 0 THEN 'pending' ELSE 'done' END,
                   CASE WHEN e.id %% 1000 = 0 THEN 0 ELSE 1 END,
                   e.occurred_at, NULL, '', '', e.occurred_at,
                   CASE WHEN e.id %% 1000 = 0 THEN NULL ELSE e.occurred_at + interval '20 milliseconds' END
            FROM market_eventrecord e
            """,
            [],
        )
    analyze("market_eventrecord", "market_delivery")


def _claim_sql(**kwargs) -> str:
    with CaptureQueriesContext(connection) as queries:
        bus.claim(owner="plan-test", **kwargs)
    claims = [sql for sql in executed(queries, "market_delivery") if "SKIP LOCKED" in sql]
    assert len(claims) == 1, queries.captured_queries
    return claims[0]


def delivery_scans(nodes: list[dict]) -> list[dict]:
    return [n for n in nodes if n.get("Relation Name") == "market_delivery"]


# The claim walks the pending rows (partial indexes); its ordering guard ("is an earlier delivery
# of this aggregate unfinished?") looks up the candidate's aggregate in delivery_agg_idx.
CLAIM_INDEXES = {"delivery_pending_id_idx", "delivery_due_idx", "delivery_agg_idx"}


def guard_lookups(nodes: list[dict]) -> list[dict]:
    return [n for n in delivery_scans(nodes) if n.get("Index Name") == "delivery_agg_idx"]


def assert_guard_looks_up_the_aggregate(nodes: list[dict]) -> None:
    [guard] = guard_lookups(nodes)
    assert "aggregate_key" in guard.get("Index Cond", ""), guard  # not a scan filtered per candidate
    assert all(n.get("Rows Removed by Join Filter", 0) == 0 for n in nodes), nodes


def test_the_workers_claim_uses_the_partial_indexes(big_event_log):
    sql = _claim_sql(limit=50)
    assert "ORDER BY" in sql and "LIMIT 50" in sql and "FOR UPDATE" in sql

    nodes = explain(sql)

    assert seq_scans(nodes, "market_delivery") == []
    # The due rows come from the pending part of the table (partial indexes), never from the
    # 200,000 done rows; the guard reads only the candidate's own aggregate.
    scans = delivery_scans(nodes)
    assert scans and all(n.get("Index Name") in CLAIM_INDEXES for n in scans), scans
    assert indexes_used(nodes) & {"delivery_pending_id_idx", "delivery_due_idx"}
    assert_guard_looks_up_the_aggregate(nodes)


def test_the_claim_keeps_to_the_indexes_with_a_large_backlog(big_event_log):
    """A worker that fell behind: the newest 10% of the log is pending (behind 180,000 done rows)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE market_delivery SET status = 'pending', completed_at = NULL "
            "WHERE id > (SELECT max(id) - %s FROM market_delivery)",
            [ROWS // 10],
        )

    analyze("market_delivery")
    sql = _claim_sql(limit=50)

    nodes = explain(sql)

    assert seq_scans(nodes, "market_delivery") == []
    # Any partial index over the pending rows will do; the primary key (every row ever) will not.
    scans = delivery_scans(nodes)
    assert scans and all(n.get("Index Name", "market_delivery_pkey") != "market_delivery_pkey" for n in scans), scans
    assert_guard_looks_up_the_aggregate(nodes)


def test_the_guard_stays_a_lookup_when_the_statistics_predate_the_backlog(big_event_log):
    """The backlog grew faster than ANALYZE ran (an outage, a burst): the statistics still say one
    delivery in a thousand is pending, the database holds 20,000. Spelled "status = 'pending'",
    the guard could be answered from the partial indexes the planner then believes nearly empty,
    and it scanned the whole backlog for every candidate (131 ms per claim of 200 with 4,000
    pending, growing with the backlog); spelled "neither done nor dead" only the aggregate's
    lookup fits."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE market_delivery SET status = 'pending', completed_at = NULL "
            "WHERE id > (SELECT max(id) - %s FROM market_delivery)",
            [ROWS // 10],
        )
    # No ANALYZE.
    sql = _claim_sql(limit=200)

    nodes = explain(sql, analyze=True)

    assert nodes[0]["Actual Rows"] == 200
    assert_guard_looks_up_the_aggregate(nodes)


def test_the_inline_claim_of_just_published_deliveries_uses_indexes(big_event_log):
    ids = [
        pk
        for (pk,) in connection.cursor()
        .execute("SELECT id FROM market_delivery WHERE status = 'pending' ORDER BY id DESC LIMIT 2")
        .fetchall()
    ]
    sql = _claim_sql(only_ids=ids)

    nodes = explain(sql)

    assert seq_scans(nodes, "market_delivery") == []
    assert_guard_looks_up_the_aggregate(nodes)


def test_claim_runs_the_oldest_pending_delivery_first(big_event_log):
    """The plan is only worth checking if the query still does its job on the big table."""
    oldest = connection.cursor().execute("SELECT min(id) FROM market_delivery WHERE status = 'pending'").fetchone()[0]

    claimed = bus.claim(owner="plan-test", limit=1)

    assert [d.pk for d in claimed] == [oldest]


# --- the my-page read model ----------------------------------------------------------------------------


def test_a_purge_finds_its_rows_in_the_retention_index(big_event_log):
    """Retention deletes the oldest done deliveries of one subscriber per statement: found in
    delivery_retention_idx, never by scanning the 200,000 rows."""
    from datetime import timedelta

    with CaptureQueriesContext(connection) as queries:
        # Retention of about half the log (the fixture's events are a second apart).
        purged = bus.purge(older_than=timedelta(seconds=ROWS // 2), batch=500)
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert purged > 90_000 and deletes

    nodes = explain(deletes[0])

    assert seq_scans(nodes, "market_delivery") == []
    assert "delivery_retention_idx" in indexes_used(nodes)


@pytest.fixture
def big_mypage(db, make_user):
    """200,000 my-page rows of 2,000 buyers; ``user`` is one of them with 100 rows."""
    user = make_user("plan_buyer")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO mypage_mypagerow (reservation_id, product_id, product_name, price, seller_id, seller_name,
                                          buyer_id, buyer_name, payment_id, reservation_status, payment_status,
                                          product_status, created_at, updated_at)
            SELECT g, g, 'product ' || g, 1000, 1000000 + g %% 50, 'seller',
                   CASE WHEN g %% 2000 = 0 THEN %s ELSE 2000000 + g %% 2000 END, 'buyer', g,
                   'reserved', 'unpaid', 'pending', now() - make_interval(secs => %s - g), now()
            FROM generate_series(1, %s) AS g
            """,
            [user.pk, ROWS, ROWS],
        )
    analyze("mypage_mypagerow")
    return user


def test_my_page_reads_by_index(big_mypage, client_for):
    with CaptureQueriesContext(connection) as queries:
        response = client_for(big_mypage).get("/api/mypage/")
    assert response.status_code == 200

    statements = executed(queries, "mypage_mypagerow")
    assert statements, "GET /api/mypage/ read no my-page row"
    for sql in statements:
        nodes = explain(sql)
        assert seq_scans(nodes, "mypage_mypagerow") == [], sql
        assert "mypage_buyer_created" in indexes_used(nodes), sql


# --- the catalogue ------------------------------------------------------------------------------------------


@pytest.fixture
def big_catalogue(db, make_user):
    """200,000 products: six in ten available, prices spread over 0..999,900 won."""
    seller = make_user("plan_seller")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO product_product (seller_id, name, description, price, status, held_by_reservation_id,
                                         created_at, updated_at)
            SELECT %s, 'item ' || g, '', (g * 7919) %% 10000 * 100,
                   CASE WHEN g %% 10 < 6 THEN 'available' WHEN g %% 10 < 8 THEN 'pending' ELSE 'sold_out' END,
                   CASE WHEN g %% 10 < 6 THEN NULL ELSE g END,
                   now() - make_interval(secs => %s - g), now()
            FROM generate_series(1, %s) AS g
            """,
            [seller.pk, ROWS, ROWS],
        )
    analyze("product_product")


LIST_URL = "/api/products/?status=available&min_price=100000&max_price=120000&ordering=-created_at&page_size=20"


def test_the_filtered_product_list_reads_by_index(big_catalogue, anon):
    with CaptureQueriesContext(connection) as queries:
        response = anon.get(LIST_URL)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 20

    statements = executed(queries, "product_product")
    assert statements
    for sql in statements:
        nodes = explain(sql)
        assert seq_scans(nodes, "product_product") == [], (sql, nodes)

    # The page is full, so its total takes a COUNT(*) of thousands of rows: found by status and
    # price together in the (status, price) index, not by price alone and then row by row. (Once
    # VACUUM has run it is an index-only scan; a test's transaction cannot vacuum.)
    (count,) = [sql for sql in statements if "COUNT(" in sql.upper()]
    nodes = explain(count)
    assert indexes_used(nodes) == {"product_status_price"}, (count, nodes)


def test_searching_the_catalogue_reads_the_trigram_index(big_catalogue, anon):
    """``?search=`` is ``UPPER(name) LIKE UPPER('%term%') OR UPPER(description) LIKE ...``: the
    trigram indexes (product migrations 0003 and 0004) find the matches instead of a scan of all
    200,000 names and descriptions."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE product_product SET description = 'oak desk, item 12345' WHERE name = 'item 777'")
    analyze("product_product")
    with CaptureQueriesContext(connection) as queries:
        response = anon.get("/api/products/?search=item%2012345&page_size=20")
    assert response.status_code == 200
    assert {p["name"] for p in response.json()["results"]} >= {"item 12345", "item 123450", "item 777"}

    for sql in executed(queries, "product_product"):
        nodes = explain(sql)
        assert seq_scans(nodes, "product_product") == [], (sql, nodes)
        assert {"product_name_trgm", "product_description_trgm"} <= indexes_used(nodes), (sql, nodes)
