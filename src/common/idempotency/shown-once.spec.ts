import { withoutShownOnce } from './shown-once';

describe('withoutShownOnce', () => {
  it('nulls the named fields, nested or not, and leaves the original alone', () => {
    const body = { tenant_id: 't', api_key: { id: 'k', secret: 'sk_cynsta_live_x' } };
    expect(withoutShownOnce(body, ['api_key.secret'])).toEqual({ tenant_id: 't', api_key: { id: 'k', secret: null } });
    expect(body.api_key.secret).toBe('sk_cynsta_live_x');
    expect(withoutShownOnce({ id: 'k', secret: 's' }, ['secret'])).toEqual({ id: 'k', secret: null });
  });

  it('adds nothing where the field is absent', () => {
    expect(withoutShownOnce({ id: 'k' }, ['secret', 'api_key.secret'])).toEqual({ id: 'k' });
    expect(withoutShownOnce(null, ['secret'])).toBeNull();
    expect(withoutShownOnce({ api_key: null }, ['api_key.secret'])).toEqual({ api_key: null });
  });
});
