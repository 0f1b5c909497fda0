/** IAM policies: documents, the evaluator and its condition operators. */
export { type ConditionContext, type ContextValue, conditionHolds, isKnownOperator } from './conditions.js';
export {
  type ConditionClause,
  type ParseOptions,
  type PolicyDocument,
  PolicyDocumentError,
  parsePolicyDocument,
  type Statement,
} from './document.js';
export {
  type AuthzRequest,
  type CompiledPolicy,
  compilePolicy,
  type Decision,
  denialReason,
  evaluate,
  type IdentityPolicies,
  type IdentityPolicySet,
  type Principal,
  type PrincipalType,
  resourcePolicyDecision,
} from './evaluate.js';
