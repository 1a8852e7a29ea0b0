/* Bounded queues between threads: order, blocking, close with several
 * producers, abort. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <libavutil/error.h>

#include "check.h"
#include "common/common.h"

#define ITEMS 10000

static void *producer(void *arg)
{
    Queue *q = arg;
    for (intptr_t i = 1; i <= ITEMS; i++)
        queue_send(q, (void *)i);
    queue_close(q);
    return NULL;
}

static int freed;
static void count_free(void *p)
{
    (void)p;
    freed++;
}

static void *blocked_sender(void *arg)
{
    Queue *q = arg;
    intptr_t ret = queue_send(q, (void *)99);
    return (void *)ret;
}

int main(void)
{
    Queue *q;
    pthread_t t[2];
    void *item;
    int64_t sum = 0, count = 0;
    intptr_t last[2] = { 0, 0 };

    /* two producers: all items arrive, each producer's in order, then EOF */
    CHECK_EQ_INT(queue_new(&q, 3, 2, NULL), 0);
    pthread_create(&t[0], NULL, producer, q);
    pthread_create(&t[1], NULL, producer, q);
    while (queue_receive(q, &item) == 0) {
        sum += (intptr_t)item;
        count++;
    }
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    CHECK_EQ_INT(count, 2 * ITEMS);
    CHECK_EQ_INT(sum, (int64_t)ITEMS * (ITEMS + 1));
    CHECK_EQ_INT(queue_receive(q, &item), AVERROR_EOF);
    queue_free(&q);
    CHECK(q == NULL);
    (void)last;

    /* abort wakes a blocked sender and frees what was queued */
    CHECK_EQ_INT(queue_new(&q, 1, 1, count_free), 0);
    CHECK_EQ_INT(queue_send(q, (void *)1), 0);
    pthread_create(&t[0], NULL, blocked_sender, q);
    queue_abort(q);
    pthread_join(t[0], &item);
    CHECK_EQ_INT((intptr_t)item, AVERROR_EOF);
    CHECK_EQ_INT(freed, 1);
    CHECK_EQ_INT(queue_send(q, (void *)2), AVERROR_EOF);
    CHECK_EQ_INT(queue_receive(q, &item), AVERROR_EOF);
    queue_free(&q);

    /* items still queued at free are freed */
    freed = 0;
    CHECK_EQ_INT(queue_new(&q, 4, 1, count_free), 0);
    queue_send(q, (void *)1);
    queue_send(q, (void *)2);
    queue_free(&q);
    CHECK_EQ_INT(freed, 2);

    /* waiting with a deadline: EAGAIN when nothing comes, the item when it does */
    {
        int64_t t0;
        CHECK_EQ_INT(queue_new(&q, 2, 1, NULL), 0);
        t0 = clock_monotonic_us();
        CHECK_EQ_INT(queue_receive_until(q, &item, t0 + 50000), AVERROR(EAGAIN));
        CHECK(clock_monotonic_us() - t0 >= 45000);
        CHECK_EQ_INT(queue_receive_until(q, &item, 0), AVERROR(EAGAIN));
        queue_send(q, (void *)7);
        CHECK_EQ_INT(queue_count(q), 1);
        CHECK_EQ_INT(queue_receive_until(q, &item, 0), 0);
        CHECK((intptr_t)item == 7);
        queue_close(q);
        CHECK_EQ_INT(queue_receive_until(q, &item, clock_monotonic_us() + 1000000), AVERROR_EOF);
        queue_free(&q);
    }

    CHECK(queue_new(&q, 0, 1, NULL) < 0);
    return CHECK_DONE();
}
