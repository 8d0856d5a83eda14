/**
 * Smooth weighted round robin (as nginx balances upstreams): over any stretch of picks each queue comes
 * first in proportion to its weight, without long runs of one queue. `next()` returns every queue, the
 * one whose turn it is first and then the others in configured order, so an empty first choice never
 * leaves a worker idle while another queue has work.
 */
export function createQueueOrder<T extends { weight: number }>(queues: readonly T[]) {
  const current = queues.map(() => 0);
  const total = queues.reduce((sum, q) => sum + q.weight, 0);
  return {
    next(): T[] {
      let best = 0;
      queues.forEach((queue, i) => {
        current[i]! += queue.weight;
        if (current[i]! > current[best]!) best = i;
      });
      current[best]! -= total;
      return [queues[best]!, ...queues.filter((_, i) => i !== best)];
    },
  };
}
