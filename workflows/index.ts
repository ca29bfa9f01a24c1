export { customerHandoff } from './customer-handoff';
