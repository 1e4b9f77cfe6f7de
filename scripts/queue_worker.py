#!/usr/bin/env python3
# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Run the queued tasks of a SQLite database, one at a time.

trytond-worker waits for PostgreSQL's notifications on the database
connection, which SQLite does not have (it stops at once on a SQLite
database), and the host's ir.queue pull fails on SQLite (its query refers
to a common table expression it leaves out). This worker takes the next
task of the queue in plain SQL every second instead and runs it with the
host's own run_task, as trytond-worker does. It is meant for the SQLite
demo of scripts/run; use trytond-worker with PostgreSQL.

    queue_worker.py -c trytond.conf -d DATABASE [--interval SECONDS]
"""
import argparse
import logging
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config', required=True)
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--interval', type=float, default=1.0,
        help="seconds between two looks at an empty queue")
    args = parser.parse_args()

    from trytond import config
    config.update_etc(args.config)
    logging.basicConfig(
        level=logging.INFO, format='%(asctime)s %(name)s %(message)s')
    logger = logging.getLogger('crm_plus.queue_worker')

    from trytond import backend
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.worker import run_task

    pool = Pool(args.database)
    with Transaction().start(args.database, 0, readonly=True):
        pool.init()
    Queue = pool.get('ir.queue')
    logger.info("waiting for the tasks of %s", args.database)
    while True:
        try:
            with Transaction().start(args.database, 0) as transaction:
                task_id = pull(Queue, transaction)
        except backend.DatabaseOperationalError:
            # The database is locked by a long write (an import): later.
            task_id = None
        if task_id:
            try:
                run_task(pool, task_id)
            except Exception:
                # Logged by run_task (and recorded as ir.error when the
                # task failed on a user error): go on with the next one.
                logger.exception("task %s failed", task_id)
            continue
        time.sleep(args.interval)


def pull(Queue, transaction):
    "Mark the next task due as dequeued and return its id, or None"
    from sql import Null
    from sql.functions import CurrentTimestamp

    queue = Queue.__table__()
    cursor = transaction.connection.cursor()
    cursor.execute(*queue.select(
            queue.id,
            where=(queue.dequeued_at == Null)
            & ((queue.scheduled_at == Null)
                | (queue.scheduled_at <= CurrentTimestamp())),
            order_by=[
                queue.scheduled_at.nulls_first,
                queue.expected_at.nulls_first,
                queue.id],
            limit=1))
    row = cursor.fetchone()
    if not row:
        return None
    task_id, = row
    cursor.execute(*queue.update(
            [queue.dequeued_at], [CurrentTimestamp()],
            where=(queue.id == task_id) & (queue.dequeued_at == Null)))
    return task_id


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
