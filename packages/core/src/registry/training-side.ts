// Everything the registry does with training jobs, loaded on first use: an application that never
// trains (or loads a provider that offers no training) never reads this code.
export { resumeTrainingJob, trainingJobs, trainingStore, withTrainingRecorded } from './training-jobs.js';
export { trainingRound } from './training-round.js';
