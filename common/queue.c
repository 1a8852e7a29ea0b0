/* Bounded multi-producer queue of owned pointers (a ring buffer under one
 * mutex, two condition variables). */
#include "common.h"

#include <pthread.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <libavcodec/packet.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>

struct Queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    void **items;
    int capacity, head, count;
    int producers;   /* still open */
    int aborted;
    void (*free_item)(void *);
    /* counters (queue_stats), under lock */
    int high_water;
    int64_t sent, full_waits;
};

int queue_new(Queue **out, int capacity, int producers, void (*free_item)(void *))
{
    Queue *q;

    *out = NULL;
    if (capacity < 1 || producers < 1)
        return AVERROR(EINVAL);
    q = calloc(1, sizeof(*q));
    if (!q)
        return AVERROR(ENOMEM);
    q->items = calloc((size_t)capacity, sizeof(*q->items));
    if (!q->items) {
        free(q);
        return AVERROR(ENOMEM);
    }
    q->capacity = capacity;
    q->producers = producers;
    q->free_item = free_item;
    pthread_mutex_init(&q->lock, NULL);
    cond_init_monotonic(&q->not_empty);
    cond_init_monotonic(&q->not_full);
    *out = q;
    return 0;
}

int queue_send(Queue *q, void *item)
{
    int ret = 0;

    pthread_mutex_lock(&q->lock);
    if (q->count == q->capacity && !q->aborted)
        q->full_waits++;
    while (q->count == q->capacity && !q->aborted)
        pthread_cond_wait(&q->not_full, &q->lock);
    if (q->aborted || q->producers == 0) {
        ret = AVERROR_EOF;
    } else {
        q->items[(q->head + q->count) % q->capacity] = item;
        q->count++;
        q->sent++;
        if (q->count > q->high_water)
            q->high_water = q->count;
        pthread_cond_signal(&q->not_empty);
    }
    pthread_mutex_unlock(&q->lock);
    return ret;
}

int queue_receive(Queue *q, void **item)
{
    int ret = 0;

    *item = NULL;
    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && q->producers > 0 && !q->aborted)
        pthread_cond_wait(&q->not_empty, &q->lock);
    if (q->aborted || q->count == 0) {
        ret = AVERROR_EOF;
    } else {
        *item = q->items[q->head];
        q->head = (q->head + 1) % q->capacity;
        q->count--;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->lock);
    return ret;
}

int queue_receive_until(Queue *q, void **item, int64_t deadline_us)
{
    struct timespec ts = { .tv_sec = deadline_us / 1000000, .tv_nsec = deadline_us % 1000000 * 1000 };
    int ret = 0;

    *item = NULL;
    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && q->producers > 0 && !q->aborted && deadline_us > 0 &&
           pthread_cond_timedwait(&q->not_empty, &q->lock, &ts) != ETIMEDOUT)
        ;
    if (q->count > 0 && !q->aborted) {
        *item = q->items[q->head];
        q->head = (q->head + 1) % q->capacity;
        q->count--;
        pthread_cond_signal(&q->not_full);
    } else {
        ret = q->aborted || q->producers == 0 ? AVERROR_EOF : AVERROR(EAGAIN);
    }
    pthread_mutex_unlock(&q->lock);
    return ret;
}

int queue_count(Queue *q)
{
    int n;

    pthread_mutex_lock(&q->lock);
    n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}

void queue_stats(Queue *q, QueueStats *st)
{
    pthread_mutex_lock(&q->lock);
    *st = (QueueStats){ .capacity = q->capacity, .depth = q->count, .high_water = q->high_water,
                        .sent = q->sent, .full_waits = q->full_waits };
    pthread_mutex_unlock(&q->lock);
}

void queue_close(Queue *q)
{
    pthread_mutex_lock(&q->lock);
    if (q->producers > 0)
        q->producers--;
    if (q->producers == 0)
        pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

static void drop_items(Queue *q)
{
    while (q->count) {
        if (q->free_item)
            q->free_item(q->items[q->head]);
        q->head = (q->head + 1) % q->capacity;
        q->count--;
    }
}

void queue_abort(Queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->aborted = 1;
    drop_items(q);
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

void queue_free(Queue **pq)
{
    Queue *q = *pq;

    if (!q)
        return;
    drop_items(q);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->items);
    free(q);
    *pq = NULL;
}

void queue_free_frame(void *frame)
{
    AVFrame *f = frame;
    av_frame_free(&f);
}

void queue_free_packet(void *packet)
{
    AVPacket *p = packet;
    av_packet_free(&p);
}

int queue_send_end_of_stream(Queue *q, int stream_index)
{
    AVPacket *p = av_packet_alloc();
    int ret;

    if (!p)
        return AVERROR(ENOMEM);
    p->stream_index = stream_index;
    if ((ret = queue_send(q, p)) < 0)
        av_packet_free(&p);
    return ret;
}
