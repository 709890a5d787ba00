import { describe, expect, it } from 'vitest';
import { parseHash, routes } from './router';

describe('parseHash', () => {
  it('reads the routes', () => {
    expect(parseHash('')).toEqual({ name: 'list' });
    expect(parseHash('#/')).toEqual({ name: 'list' });
    expect(parseHash('#/processes/12')).toEqual({ name: 'process', id: '12', view: undefined });
    expect(parseHash('#/processes/a%20b?view=stats')).toEqual({ name: 'process', id: 'a b', view: 'stats' });
    expect(parseHash('#/contacts/c%401')).toEqual({ name: 'contact', id: 'c@1' });
    expect(parseHash('#/nope/1/2')).toEqual({ name: 'notfound', path: '/nope/1/2' });
  });

  it('builds what it reads', () => {
    expect(parseHash(routes.process('x/y', 'outline'))).toEqual({ name: 'process', id: 'x/y', view: 'outline' });
    expect(parseHash(routes.contact('c 1'))).toEqual({ name: 'contact', id: 'c 1' });
  });
});
