import { required } from '../../shared/domain/required';

describe('required', () => {
  it('hands back a value that is there, falsy ones included', () => {
    // Prepare
    const values = [0, false, 'vpc-0abc', ['subnet-1']];
    // Act
    const kept = values.map((value) => required(value, 'value'));
    // Assess
    expect(kept).toEqual(values);
  });

  it.each([undefined, ''])('refuses %j, naming what is missing', (value) => {
    // Prepare / Act
    const read = () => required(value, 'load balancer ARN');
    // Assess
    expect(read).toThrow('missing load balancer ARN');
  });
});
